// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {DeployPool} from "../../script/DeployPool.s.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice The deploy script produces a working, correctly owned pool.
contract DeployPoolScriptTest is BaseTest {
    function test_run_deploysInitialisedPool() public {
        vm.setEnv("POOL_ASSET", vm.toString(address(weth)));
        vm.setEnv("POOL_VALUATION", vm.toString(address(valuation)));
        vm.setEnv("POOL_TIMELOCK", vm.toString(timelock));
        vm.setEnv("POOL_GUARDIAN", vm.toString(guardian));
        vm.setEnv("POOL_CUSTODY", vm.toString(custody));
        ILendingPool deployed = new DeployPool().run();
        assertEq(deployed.asset(), address(weth));
        assertEq(deployed.timelock(), timelock);
        assertEq(deployed.guardian(), guardian);
        assertEq(deployed.custody(), custody);
        assertEq(deployed.rateConfig().kinkBps, 7500);
        vm.expectRevert(); // initialised once
        deployed.initialize("x", "x", stranger, stranger, stranger, _defaultRateConfig(0));
    }
}
