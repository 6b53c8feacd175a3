// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGoverned} from "./IGoverned.sol";
import {ILendingPoolTypes} from "./ILendingPoolTypes.sol";

/// @title ILendingPoolCore
/// @notice The pool's hot paths, served in one hop by `LendingPool` (the implementation behind the proxy): the share
/// token, the lenders' entries and exits, borrowing and repayment, the liquidation module's hooks that start and
/// settle an auction (and the loan commitment it checks on every purchase), and the proxy's initialiser and roles.
/// The rest of `ILendingPool` is `ILendingPoolExtension` and `ILendingPoolAdmin`, reached through the core's fallback.
interface ILendingPoolCore is ILendingPoolTypes, IGoverned {
    /*//////////////////////////////////////////////////////////////
                         SHARE TOKEN (ERC-20)
    //////////////////////////////////////////////////////////////*/

    function name() external view returns (string memory);
    function symbol() external view returns (string memory);
    /// @notice The asset's decimals plus 6 (the virtual-share offset).
    function decimals() external view returns (uint8);
    function totalSupply() external view returns (uint256);
    function balanceOf(address owner) external view returns (uint256);
    function allowance(address owner, address spender) external view returns (uint256);
    function approve(address spender, uint256 amount) external returns (bool);
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);

    /// @notice Initialises a proxy once; the implementation itself can never be initialised.
    function initialize(
        string calldata name_,
        string calldata symbol_,
        address timelock_,
        address guardian_,
        address custody_,
        RateConfig calldata config
    ) external;

    /// @notice The implementation that serves `ILendingPoolExtension` (and, behind it, `ILendingPoolAdmin`).
    function EXTENSION() external view returns (address);

    /*//////////////////////////////////////////////////////////////
                      ERC-4626 ENTRIES AND EXITS
    //////////////////////////////////////////////////////////////*/

    /// @notice Mints shares at the entry price (see `totalAssets`), rounded down.
    function deposit(uint256 assets, address receiver) external returns (uint256 shares);
    /// @notice Charges assets at the entry price (see `totalAssets`), rounded up.
    function mint(uint256 shares, address receiver) external returns (uint256 assets);
    /// @notice Never pausable; limited only by idle cash.
    function withdraw(uint256 assets, address receiver, address owner) external returns (uint256 shares);
    /// @notice Never pausable; limited only by idle cash.
    function redeem(uint256 shares, address receiver, address owner) external returns (uint256 assets);

    /*//////////////////////////////////////////////////////////////
                                 LOANS
    //////////////////////////////////////////////////////////////*/

    /// @notice Locks `amount` of `tokenId` of `collection` owned by `owner` and sends `principal` to the caller.
    /// @dev The caller must be `owner` or approved by it on the collection (`isApprovedForAll`, or `getApproved` for
    /// ERC-721). `owner` becomes the borrower of record: the NFT returns to it on full repayment. With a trait
    /// `proof` the claimed `premium` (per unit, in the asset, as the leaf states) is verified and capped by the
    /// valuation, and stored as `Loan.premium` with its multiple of the price now (`premiumMultipleWad`): the loan is
    /// valued at (price + min(premium, multiple x price)) x amount, so the premium never grows with the price and shrinks
    /// with it as the valuation's cap would. With an empty proof there is none. The loan records the valuation's outage
    /// seconds so far (`Loan.outageBase`): later outages extend its due date (see `renew`).
    /// Reverts when the collection is unlisted or frozen, borrowing is paused, the oracle is in an outage, the loan is
    /// below the minimum, above the LTV, above the collection's debt ceiling (its exposure: live debt with the new loan
    /// included plus the debt frozen in its running auctions, `ExceedsDebtCeiling`), above the per-borrower cap (the
    /// owner's outstanding principal in the collection with this loan, `ExceedsBorrowerCap`), above the per-loan unit
    /// cap (`ExceedsUnitCap`), or above the cash.
    function borrow(
        address collection,
        uint256 tokenId,
        uint256 amount,
        uint256 principal,
        address owner,
        uint256 premium,
        bytes32[] calldata proof
    ) external returns (uint256 loanId, Loan memory loan);

    /// @notice Repays up to `amount` of loan `loanId` (anyone may pay for the borrower): it pays min(amount, debt).
    /// A full repayment returns the NFT to the borrower in the same transaction (an ERC-1155 amount the borrower
    /// refuses becomes claimable with `claimNft`). A partial one must leave at least the minimum loan.
    /// A loan in auction can still be repaid in full, for its frozen debt plus the liquidation penalty; this cancels
    /// the auction. Never reads the oracle; never pausable.
    function repay(
        uint256 loanId,
        Loan calldata loan,
        uint256 amount
    ) external returns (uint256 paid, Loan memory updated);

    /// @notice What counts against a collection's ceiling besides its live debt (`collectionState`): the debt frozen
    /// in its running auctions (relists included); and the per-borrower limits: the principal cap (0: only the
    /// ceiling bounds a borrower) and the units one loan may pledge (0: no cap).
    function collectionExposure(address collection)
        external
        view
        returns (uint256 auctionDebt, uint256 borrowerCap, uint256 maxUnits);

    /// @notice The stored commitment of `loanId`, zero when closed or unknown.
    function loanHash(uint256 loanId) external view returns (bytes32);

    /*//////////////////////////////////////////////////////////////
              LIQUIDATION MODULE HOOKS (liquidator only)
    //////////////////////////////////////////////////////////////*/

    /// @notice Moves a liquidatable loan into auction. Liquidatable: health factor below 1 with interest accrued, or
    /// past maturity plus grace. Freezes its debt, books the outcome without a bid as impairment (the whole frozen
    /// debt plus the rewards of up to four settlements, 0.1 % of the debt each) so no lender can exit ahead of it,
    /// and returns the auction terms, with the valuation whose outage clock the auction follows. Reverts during an
    /// oracle outage.
    function startAuction(
        uint256 loanId,
        Loan calldata loan,
        address keeper
    ) external returns (AuctionTerms memory terms, Loan memory updated);

    /// @notice Settles a loan in auction. With a `buyer`, `proceeds` must already have been paid into the pool: the
    /// waterfall repays the frozen debt, then the penalty (reserve and keeper), then credits the surplus to the
    /// borrower as claimable, and sends the NFT to the buyer. Without a buyer (no bid) the NFT goes to the custody
    /// address. Any shortfall is written off in the same transaction: first from the reserve, then from lenders.
    /// What the settlement recovers above the booked loss is locked and reaches the share price over the unlock
    /// period. The liquidator, or a former one for the auctions it started before it was replaced.
    /// Reverts `ProceedsNotReceived` when, after booking `proceeds`, the pool's balance does not cover its idle cash
    /// plus every claimable balance: a module cannot book money it did not pay in.
    function settleAuction(
        uint256 loanId,
        Loan calldata loan,
        address buyer,
        uint256 proceeds,
        address keeper
    ) external returns (uint256 badDebt);
}
